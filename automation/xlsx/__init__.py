"""Writing workbooks losslessly: patch only the parts that change, safely (lock, backup, atomic)."""
