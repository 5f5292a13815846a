"""Reception desks, duty rosters and the walk-in log."""
