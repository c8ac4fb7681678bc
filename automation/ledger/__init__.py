"""Reading a ledger workbook fast and normalising what staff typed, with a problem per bad cell."""
