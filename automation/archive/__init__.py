"""文件夹管理 (docs/rules.md §13–§15): item folders, 督办人 差错登记, 回头看.

naming       where an item's folder and archive are, and their names
folders      find, rename and fill the folders; 目录.html inside each
packing      pack a finished item's folder into 已归档/<年度>/<编号>.zip with its checksums
accountability  督办人工作量 and 差错 (pure): what is wrong today, reconciled with the log
register     the 差错 entries and the filed documents, kept in the workbook's database
lookback     回头看 (pure): which items are due, which are reopened by a 反弹
weekly       the 周例会通报 .docx
office       the refresh's stage that ties them together (plan, then carry out)
"""
