"""The library over HTTP: list documents and read one; admins add (upload) and remove them."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePath

from fastapi import Depends, HTTPException, UploadFile
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep
from api.routes import guarded_router
from api.schemas import DocumentDetail, DocumentOut, LibraryChange, MeasureSummary
from api.security import check_admin
from rag.errors import CorpusError

router = guarded_router("documents")
UPLOAD_PATH = "/api/documents"  # POST bodies here may reach POLICY_QA_MAX_UPLOAD_BYTES, not the JSON limit
Admin = Depends(check_admin)
_CHUNK = 1 << 20


@router.get("/api/documents", response_model=list[DocumentOut])
def documents(service: ServiceDep) -> list[DocumentOut]:
    """Every document of the index with its identity (title, 文号, issuers, dates) and chunk count."""
    counts = service.chunk_counts()
    return [DocumentOut.of(d, counts.get(d.id, 0)) for d in service.documents()]


@router.get("/api/documents/{document_id}", response_model=DocumentDetail,
            responses={404: {"description": "No such document."}})
def document(document_id: str, service: ServiceDep) -> DocumentDetail:
    """One document's identity and its outline of measures or articles."""
    found = service.document(document_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no document {document_id!r}; GET /api/documents lists them")
    measures = [MeasureSummary.of(v) for v in service.outline() if v.document_id == document_id]
    return DocumentDetail(**DocumentOut.of(found, service.chunk_counts().get(document_id, 0)).model_dump(),
                          measures=measures)


@router.post(UPLOAD_PATH, response_model=LibraryChange, status_code=201, dependencies=[Admin],
             responses={413: {"description": "Larger than POLICY_QA_MAX_UPLOAD_BYTES."},
                        422: {"description": "Not a readable policy document; the library is unchanged."}})
async def upload(file: UploadFile, service: ServiceDep, settings: SettingsDep) -> LibraryChange:
    """Add a PDF, DOCX, HTML or text document (multipart field ``file``) and rebuild; admins only."""
    name = PurePath(file.filename or "").name
    if not name or name.startswith(".") or name.lower().endswith(".json"):
        raise HTTPException(status_code=422, detail=f"{file.filename!r} is not a usable file name for a document")
    folder = Path(tempfile.mkdtemp(prefix="pqa-upload-"))
    try:
        path = folder / name
        await _save(file, path, settings.max_upload_bytes)
        report = await run_in_threadpool(_add, service, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    added = next((d for d in service.documents() if d.source == name), None)
    return LibraryChange(**_counts(report),
                         document=DocumentOut.of(added, service.chunk_counts().get(added.id, 0)) if added else None)


@router.delete("/api/documents/{document_id}", response_model=LibraryChange, dependencies=[Admin],
               responses={404: {"description": "No such document."}})
async def remove(document_id: str, service: ServiceDep) -> LibraryChange:
    """Take a document out of the library (its files move to .removed/) and rebuild; admins only."""
    if service.document(document_id) is None:
        raise HTTPException(status_code=404, detail=f"no document {document_id!r}; GET /api/documents lists them")
    try:
        report = await run_in_threadpool(service.remove_document, document_id)
    except CorpusError as err:
        raise HTTPException(status_code=422, detail=str(err)) from None
    return LibraryChange(**_counts(report))


async def _save(file: UploadFile, path: Path, limit: int) -> None:
    size = 0
    with open(path, "wb") as out:
        while block := await file.read(_CHUNK):
            size += len(block)
            if size > limit:
                raise HTTPException(status_code=413, detail=f"the file exceeds the upload limit of {limit} bytes")
            out.write(block)


def _add(service, path: Path):
    try:
        return service.add_documents([path])
    except CorpusError as err:  # the reason names the upload's temporary path; the client knows it by name
        raise HTTPException(status_code=422, detail=str(err).replace(str(path.parent) + "/", "")) from None


def _counts(report) -> dict:
    return {"documents": report.documents, "chunks": report.chunks, "embedded": report.embedded,
            "reused": report.reused}
