"""Content calendar, campaign plans and the customer-service screens (seeds 002, 003)."""
