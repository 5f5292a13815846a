"""生活快车 (service orders): catalogue, providers, orders, volunteers and their hours."""
