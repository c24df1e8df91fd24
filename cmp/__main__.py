from cmp.client import entry

entry()
