"""Everything the Lambda functions need, one module per concern."""
