"""Uploaded files over HTTP, for the API and the web pages alike: a plan and its published text are UTF-8."""

from __future__ import annotations

from fastapi import UploadFile

from yibao.domain.errors import YibaoError


def uploaded_text(upload: UploadFile | None, field: str) -> str | None:
    """The upload's text (a BOM is dropped); None where no file was chosen; POLICY_UNREADABLE where it is not
    UTF-8."""
    if upload is None or not upload.filename:
        return None
    try:
        return upload.file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise YibaoError("POLICY_UNREADABLE", field=field, source=upload.filename, problem="不是UTF-8文本") from None
