"""Activities: notes, calls, e-mails logged by hand, meetings and tasks on contacts and
accounts; a rep's My day."""
