"""Terminal rendering for the `galaxy` commands: what each command prints, kept apart from the services."""

from __future__ import annotations

import json

from assistant.text.locales import phrase


def partners_command_output(
    services, need: str, country: str | None = None, as_json: bool = False, seeker_org: str | None = None, k: int = 5
) -> str:
    """What `galaxy partners NEED [--country ISO3] [--json]` prints."""
    result = services.partners.suggest(need, seeker_country=country, seeker_org=seeker_org, k=k)
    if as_json:
        return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
    lines: list[str] = []
    if not result.partners:
        lines.append(phrase(result.language, "cli.no_partner"))
    for i, p in enumerate(result.partners, 1):
        where = ", ".join(p.countries[:3])
        lines.append(f"{i}. {p.name}  [{p.kind}{'; ' + where if where else ''}]  score {p.score:.3f}")
        lines.append(f"   {p.reason}")
        for c in p.citations:
            lines.append(f"   - {c.title} ({c.doc_id}){' ' + c.url if c.url else ''}")
    if result.funding:
        lines.append("")
        lines.append(phrase(result.language, "cli.funding"))
        for f in result.funding:
            lines.append(f"* {f['title']} ({f['doc_id']}){' ' + f['url'] if f.get('url') else ''}")
            if f.get("reason"):
                lines.append(f"  {f['reason']}")
    return "\n".join(lines)
