"""The migrations: ``NNNN_what.sql`` files, applied in name order by ``storage.migrations``.

Why a package (with no code): setuptools ships package data only with a package it was told
about; an explicit package carries its ``.sql`` files into every wheel, where a bare folder
would be an implicit namespace package that the build warns about, or leaves out.
"""
