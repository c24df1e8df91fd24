from cmp.main import entry

entry()
