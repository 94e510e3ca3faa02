"""Writing news posts: drafts, preview, publishing, changes and unpublishing."""
