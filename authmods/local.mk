# authmods: see the issue that builds it
