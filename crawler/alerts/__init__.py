"""Telling operators when a source breaks: which conditions hold after a run (`conditions`), the
messages each chat service accepts (`messages`), sending them off the reactor (`delivery`), and the
extension that ties them to the run records (`notifier`)."""
