"""Qt front end: widgets, views, undo commands, QThread workers. No algorithms here."""
