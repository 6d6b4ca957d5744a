"""Document understanding: identify, extract, classify, fields, route.

Each step is a function of values (bytes, text, rules) so it can be tested table-driven;
only ``identify.read_head`` and ``extract.extract`` touch the file they are given.
"""
