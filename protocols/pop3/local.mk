# POP3 module: issue 6
