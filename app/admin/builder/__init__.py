"""The survey builder: a survey's pages, questions and routing made and changed in the
browser, held to the rules an imported file is held to.

views       the pages: the survey with its routes and problems, questions and pages
forms       the question form, the page title form, one-button actions
services    reading the survey, counting who answered it, saving a change with its audit
"""
