"""Stage 7: push exactly the bytes render wrote and check passed, with pyinfra over SSH."""
