"""Log sources: who sends, how much, and who went silent."""
