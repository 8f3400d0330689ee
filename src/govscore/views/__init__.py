"""Views of an assessment: explanations, the text table, CSV/JSON, HTML and Excel. A view receives
an assessment; it never makes one."""
