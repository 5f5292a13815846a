"""Groups, activities, sign-up and QR check-in."""
