from __future__ import annotations

from django.urls import reverse

from gridgov.cases import services as cs


def test_partners_per_grid_with_the_cases_their_departments_resolved(client, cw, submit):
    case = cs.case_dispatch(
        by=cw.sam, case=submit(place=cw.building2), level="department", handler_org=cw.chengguan
    )
    case = cs.case_accept(by=cw.chen, case=case)
    cs.case_resolve(by=cw.chen, case=case, result="已清理占道摊点")
    client.force_login(cw.carol)
    page = client.get(reverse("command:place", args=[cw.community.pk])).content.decode()
    section = page[page.index('id="partners"') :]
    first, second = section.split("<tr>")[2:4]
    assert "第一网格" in first and "聚江苑物业" in first and "物业公司，0件" in first
    assert "第二网格" in second and '城管执法中队<span class="muted">（1件）' in second
    wall = client.get(reverse("command:place", args=[cw.community.pk]) + "?wall=1").content.decode()
    assert 'id="partners"' not in wall
