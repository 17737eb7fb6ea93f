"""Reports people read: the committee's report document (DOCX, PDF, HTML) and SVG charts, from the status output only."""
