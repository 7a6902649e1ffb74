"""Bringing batches in: safe XML parsing, TEI to records, OCR layers (ALTO, hOCR, PAGE), and the
ingest pipeline that checks a batch and writes its items into the library.

``ingest`` may import ``catalog`` and ``library``, never ``viewer``.
"""
