"""One module per page: each function computes one view of its page and returns a frozen dataclass."""
