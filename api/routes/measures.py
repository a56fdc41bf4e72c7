"""GET /api/measures: the outline; GET /api/measures/{id}: one measure's full text and units."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query

from api.deps import ServiceDep
from api.routes import guarded_router
from api.schemas import MeasureDetail, MeasureSummary

router = guarded_router("measures")


DocumentFilter = Annotated[str | None, Query(description="Only this document's measures (an id from /api/documents).")]


@router.get("/api/measures", response_model=list[MeasureSummary])
def measures(service: ServiceDep, document: DocumentFilter = None) -> list[MeasureSummary]:
    """Every measure in outline order, with its items and responsible units."""
    return [MeasureSummary.of(v) for v in service.outline() if document is None or v.document_id == document]


@router.get("/api/measures/{measure_id}", response_model=MeasureDetail, responses={404: {"description": "No such measure."}})
def measure(measure_id: str, service: ServiceDep, document: DocumentFilter = None) -> MeasureDetail:
    """``measure_id`` is the hash id from the outline or the measure's number: 6, 六, （六） or 第六条."""
    view = service.measure(measure_id, document)
    if view is None:
        raise HTTPException(status_code=404, detail=f"no measure {measure_id!r}; GET /api/measures lists them")
    return MeasureDetail.of(view, service.document(view.document_id))
