"""Experience figures: satisfaction tiers, perceived-versus-expected gaps per touchpoint, drill-down, importance."""
