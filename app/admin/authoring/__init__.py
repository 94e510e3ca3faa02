"""Making consultations in the browser: from a draft to a published consultation.

editing      creating a consultation and changing its settings (one form, the file's checks)
drafts       a consultation's own admin page: checklist, publish, back to draft, copy, export
previews     the private preview link, made and revoked by admins
"""
