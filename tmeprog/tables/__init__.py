"""Reading and writing tables: the ground floor every reader of user files stands on.

* :mod:`~tmeprog.tables.textio`: opening text whatever its encoding (``.gz`` decompressed);
* :mod:`~tmeprog.tables.damage`: truncated ``.gz`` streams and ragged rows, named by line;
* :mod:`~tmeprog.tables.sniff`: kind from the name, separator, first lines, header;
* :mod:`~tmeprog.tables.orientation`: genes x samples or samples x genes;
* :mod:`~tmeprog.tables.text`: pyarrow's CSV reader (correctly rounding), blocks of rows;
* :mod:`~tmeprog.tables.whole`: whole tables into pandas (matrices, tables of text cells);
* :mod:`~tmeprog.tables.tableio`: writing result tables atomically.

It imports nothing of tmeprog but :mod:`tmeprog.errors`.
"""
