"""Everything that speaks Confluence."""
