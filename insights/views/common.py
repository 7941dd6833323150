"""What the page modules share."""

PAGE_SIZE = 50
