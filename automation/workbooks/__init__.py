"""Building workbooks: the empty ledger template, the demo ledger, the macro workbook."""
