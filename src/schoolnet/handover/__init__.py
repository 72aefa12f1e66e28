"""`schoolnet handover`: a school's acceptance certificate, HTML and PDF through headless Chromium."""
