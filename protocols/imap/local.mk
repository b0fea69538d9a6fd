# IMAP module: issue 5
