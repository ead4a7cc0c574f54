"""Where a rule comes from: a seed document and a verbatim quote, or a public URL and a quote."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Source(BaseModel):
    """A citation: exactly one of ``document`` (a seed file name) or ``url``, plus a short quote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: str | None = Field(default=None, min_length=1)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    quote: str = Field(min_length=1, max_length=600)

    @model_validator(mode="after")
    def _one_origin(self) -> Source:
        if (self.document is None) == (self.url is None):
            raise ValueError("give exactly one of 'document' or 'url' (with 'quote')")
        return self

    @property
    def origin(self) -> str:
        return self.document if self.document is not None else str(self.url)

    def __str__(self) -> str:
        return f'{self.origin}: "{self.quote}"'
