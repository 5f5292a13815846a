"""Care plans, visit logs, grid patrols and door-to-door visits."""
