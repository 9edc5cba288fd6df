"""The catalogue every layer reads: models (the zoo), and what else is named once."""
