"""The Excel edge: UDFs, VBA project and the in-Excel refresh."""
