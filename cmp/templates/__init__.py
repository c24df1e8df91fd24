"""Go text/template as Helm uses it: a lexer and a parser that build an AST with source positions.

Rules read templates through this package, never with regexes: comments are not code, strings
may hold `}}`, actions may span lines. `parse(text)` never raises; a syntax error is a value
(`Tree.error`) at the offset Go's parser would report.
"""

from __future__ import annotations

from cmp.templates.parser import parse, parse_chart

__all__ = ["parse", "parse_chart"]
