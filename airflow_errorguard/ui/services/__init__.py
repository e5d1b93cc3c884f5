"""What the pages and the API of a resource do, with the signed-in user's rights applied."""
