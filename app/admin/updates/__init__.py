"""Email updates as admins see them: how many subscribe and follow, their addresses as CSV,
and updates written, previewed, tried on oneself and sent, with their progress.

Who may do what: officers, who read and export responses, also see the counts and the
mailings, export the addresses, write and change drafts and send a test to themselves;
only admins send an update to subscribers or followers, since that reaches the public in
the team's name and cannot be taken back.
"""
