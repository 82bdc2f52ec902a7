"""Open311 GeoReport v2 as a city dashboard uses it: the services, a complaint filed with an
api_key that reaches the unit's desk group and is worked there like one from the chat, every
filter of ``requests``, and bad input answered in the spec's error format."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from xml.etree import ElementTree

import aiohttp
from sqlalchemy import delete, select, update
from sqlmodel import col

from bot.app import app_data
from domain.complaints import DEFAULT_CATEGORIES
from models.open311 import key_hash, list_clients, revoke_client
from models.tables import AuditEntry, Complaint, ComplaintEvent, ComplaintMessage
from tests.e2e.harness import eventually, restart
from tests.e2e.open311_api import NUMBER, STORY, Api, api  # noqa: F401 (fixture)
from tests.e2e.test_complaints import install_desk

DEWI = "199401202021012008"  # complaint handler, Seksi Pelayanan Umum (BLW-PU)


async def _complaint(server: Api, number: str) -> Complaint:
    async with server.town.db.read() as session:
        return (
            await session.execute(select(Complaint).where(col(Complaint.tracking_number) == number))
        ).scalar_one()


async def test_services_as_json_and_xml(api: Api) -> None:  # noqa: F811
    reply = await api.get("/services.json")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    services = reply.json()
    assert [s["service_code"] for s in services] == [c.code for c in DEFAULT_CATEGORIES]
    adminduk = services[0]
    assert adminduk["service_name"] == "Administrasi Kependudukan (KTP, KK, surat)"
    assert (adminduk["metadata"], adminduk["type"], adminduk["group"]) == (
        True,
        "realtime",
        "Seksi Pelayanan Umum",
    )
    english = (await api.get("/services.json", headers={"Accept-Language": "en"})).json()
    assert english[0]["service_name"] == "Civil registration (ID card, family card, letters)"

    xml = await api.get("/services.xml")
    assert xml.status == 200 and xml.headers["Content-Type"].startswith("text/xml")
    assert xml.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ElementTree.fromstring(xml.text)
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == [
        c.code for c in DEFAULT_CATEGORIES
    ]
    assert root.findtext("service/metadata") == "true"

    definition = (await api.get("/services/adminduk.json")).json()
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert [v["key"] for v in attributes["privacy"]["values"]] == ["biasa", "rahasia", "anonim"]
    assert [v["key"] for v in attributes["kind"]["values"]] == [
        "pengaduan",
        "aspirasi",
        "informasi",
    ]
    xml_definition = ElementTree.fromstring((await api.get("/services/adminduk.xml")).text)
    assert xml_definition.tag == "service_definition"
    assert len(xml_definition.findall("attributes/attribute/values/value")) == 6

    discovery = await api.get("/discovery.json", base="/open311")
    [endpoint] = discovery.json()["endpoints"]
    assert (endpoint["url"], endpoint["specification"]) == (
        f"{api.url}/open311/v2",
        "http://wiki.open311.org/GeoReport_v2",
    )
    xml_discovery = ElementTree.fromstring((await api.get("/discovery.xml", base="/open311")).text)
    assert [f.text for f in xml_discovery.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]

    missing = await api.get("/services/parkir.json")
    assert (missing.status, missing.json()[0]["code"]) == (404, 404)


async def test_a_filed_request_reaches_the_desk_and_is_followed(api: Api) -> None:  # noqa: F811
    town = api.town
    desk = await install_desk(town)
    dewi = await town.employee(DEWI, first_name="Dewi")
    key = await api.key("dashboard-medan")
    # Only the hash is stored: the key itself is nowhere in the database.
    [client] = await list_clients(town.db)
    assert client.key_hash == key_hash(key) and key not in client.key_hash

    reply = await api.post(
        "/requests.json",
        {
            "api_key": key,
            "service_code": "adminduk",
            "description": STORY,
            "lat": "3.7781",
            "long": "98.6832",
            "first_name": "Rahmat",
            "last_name": "Siregar",
            "phone": "+62 812 7777 1234",
            "email": "rahmat@example.org",
        },
    )
    assert reply.status == 201, reply.text
    [created] = reply.json()
    number = created["service_request_id"]
    assert NUMBER.fullmatch(number)
    # Verified within 3 working days of Tuesday 24 November: by Friday.
    assert f"Aduan {number} diterima" in created["service_notice"]
    assert "Jumat, 27 November 2026" in created["service_notice"]

    # The ticket arrives in the unit's group through the outbox, woken by the commit, with
    # the reporter shown as for a named complaint from the chat, and the location as a reply.
    ticket, location = await desk.wait_for(2)
    assert number in ticket.text and "Jalan di depan pasar Belawan" in ticket.text
    assert "Rahmat Siregar" in ticket.text
    assert location.raw["location"]["latitude"] == 3.7781
    assert location.raw["reply_to_message"]["message_id"] == ticket.message_id
    complaint = await _complaint(api, number)
    assert (complaint.status, complaint.unit_id is not None) == ("baru", True)
    assert (complaint.desk_chat_id, complaint.ticket_message_id) == (
        desk.chat_id,
        ticket.message_id,
    )
    assert complaint.reporter_telegram_id is None and complaint.contact_phone == "+62 812 7777 1234"
    assert complaint.verification_due > complaint.created_at.date()

    followed = (await api.get(f"/requests/{number}.json")).json()
    assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in followed] == [
        (number, "open", "Baru")
    ]
    # Due to be verified by the end of Friday in Belawan.
    assert followed[0]["expected_datetime"] == "2026-11-27T23:59:59+07:00"

    # Worked in the desk like any ticket: its buttons move it, its reply asks for the reason.
    await dewi.press("✅ Verifikasi", chat=desk, message_id=ticket.message_id)
    await desk.wait_for_edit()
    await eventually(lambda: "Terverifikasi" in (desk.messages[1].text or ""))
    [row] = (await api.get(f"/requests/{number}.json")).json()
    assert (row["status"], row["status_notes"]) == ("open", "Terverifikasi")
    complaint = await _complaint(api, number)
    assert complaint.follow_up_due is not None
    assert row["expected_datetime"] == f"{complaint.follow_up_due.isoformat()}T23:59:59+07:00"

    await dewi.press("⛔ Tolak", chat=desk, message_id=ticket.message_id)
    [question] = await desk.wait_for(1)
    await dewi.send(
        "Bukan wewenang kecamatan, silakan ke Disdukcapil.", chat=desk, reply_to=question
    )
    await desk.wait_for(1)
    for _ in range(200):
        xml = ElementTree.fromstring((await api.get(f"/requests/{number}.xml")).text)
        if xml.findtext("request/status") == "closed":
            break
    assert xml.findtext("request/status_notes") == (
        "Ditolak: Bukan wewenang kecamatan, silakan ke Disdukcapil."
    )
    assert xml.findtext("request/expected_datetime") == ""  # nothing more is due
    async with town.db.read() as session:
        actors = list(
            (
                await session.execute(
                    select(col(ComplaintEvent.actor)).where(
                        col(ComplaintEvent.complaint_id) == complaint.id,
                        col(ComplaintEvent.action) == "submitted",
                    )
                )
            ).scalars()
        )
    assert actors == ["open311:dashboard-medan"]


async def test_filters_and_paging(api: Api) -> None:  # noqa: F811
    town, clock = api.town, api.town.clock
    key = await api.key("dashboard")
    start = clock.now()
    first = await api.file(key, service_code="adminduk")
    clock.advance(timedelta(days=2))
    second = await api.file(key, service_code="jalan", **{"attribute[kind]": "aspirasi"})
    clock.advance(timedelta(days=3))
    third = await api.file(key, service_code="kebersihan")

    async def numbers(**params: str) -> list[str]:
        reply = await api.get("/requests.json", params)
        assert reply.status == 200, reply.text
        return [r["service_request_id"] for r in reply.json()]

    assert await numbers() == [third, second, first]  # newest first
    assert await numbers(service_code="jalan") == [second]
    assert await numbers(service_code="jalan,adminduk") == [second, first]
    assert await numbers(service_request_id=f"{first},{third}") == [third, first]

    # Status: the unit closes the first one (without a desk, straight through the model the
    # desk's button calls).
    await _reject(api, first)
    assert await numbers(status="closed") == [first]
    assert await numbers(status="open") == [third, second]
    assert await numbers(status="open,closed") == [third, second, first]

    # Dates (W3C, any offset): the second was filed two days after the first, 09:00 WIB.
    day_two = (start + timedelta(days=2)).astimezone().isoformat()
    assert await numbers(start_date=day_two) == [third, second]
    assert await numbers(end_date=day_two) == [second, first]
    assert await numbers(start_date=day_two, end_date=day_two) == [second]
    assert await numbers(start_date="2026-11-25", end_date="2026-11-27T00:00:00+07:00") == [second]

    # Paging: page_size and page, in the same order.
    assert await numbers(page_size="2") == [third, second]
    assert await numbers(page_size="2", page="2") == [first]
    assert await numbers(page_size="2", page="3") == []

    # Without dates, the last 90 days: 100 days on, nothing; asked for by date, all three.
    clock.advance(timedelta(days=100))
    assert await numbers() == []
    assert await numbers(start_date="2026-11-01T00:00:00Z", end_date="2026-11-30T00:00:00Z") == [
        third,
        second,
        first,
    ]
    xml = ElementTree.fromstring(
        (await api.get("/requests.xml", status="closed", start_date="2026-11-01")).text
    )
    assert xml.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in xml.findall("request")] == [first]
    assert town is api.town


async def _reject(server: Api, number: str) -> None:
    from domain.complaints import Move
    from handlers.desk.render import deadlines
    from models import activities
    from models.complaints import apply_move
    from services.survey import offer_payload

    town = server.town
    services = app_data(town.application).require_services()
    complaint = await _complaint(server, number)
    await apply_move(
        town.db,
        complaint.id or 0,
        Move.REJECT,
        actor="test",
        now=town.clock.now(),
        today=services.today(),
        calendar=await activities.work_calendar(town.db),
        deadlines=deadlines(services),
        note="Sudah ditangani kelurahan.",
        survey_offer=offer_payload,
    )


async def test_bad_input_in_the_spec_error_format(api: Api) -> None:  # noqa: F811
    town = api.town
    key = await api.key("dashboard")

    form = {"api_key": key, "service_code": "adminduk", "description": STORY}
    cases = [
        ({"api_key": "salah"} | {k: v for k, v in form.items() if k != "api_key"}, 403, "api_key"),
        ({k: v for k, v in form.items() if k != "api_key"}, 403, "api_key"),
        (form | {"service_code": "parkir"}, 400, "parkir"),
        ({k: v for k, v in form.items() if k != "service_code"}, 400, "service_code"),
        ({k: v for k, v in form.items() if k != "description"}, 400, "description"),
        (form | {"description": "Jalan rusak."}, 400, "terlalu pendek"),
        (form | {"description": "kata " * 600}, 400, "terlalu panjang"),
        (form | {"lat": "3.77"}, 400, "lat"),
        (form | {"lat": "95", "long": "98.6"}, 400, "lat"),
        (form | {"attribute[privacy]": "publik"}, 400, "privacy"),
        (form | {"phone": "telepon saya"}, 400, "phone"),
    ]
    for fields, status, words in cases:
        reply = await api.post("/requests.json", fields)
        assert reply.status == status, (fields, reply.text)
        [error] = reply.json()
        assert error["code"] == status and words in error["description"], (fields, error)

    for params, words in [
        ({"start_date": "kemarin"}, "start_date"),
        ({"start_date": "2026-13-01"}, "start_date"),
        ({"end_date": "2026-11-24T10:00:00"}, "end_date"),  # no zone
        ({"start_date": "2026-11-24", "end_date": "2026-11-01"}, "end_date"),
        ({"start_date": "2026-01-01", "end_date": "2026-11-01"}, "90"),
        ({"page_size": "1001"}, "1000"),
        ({"page": "0"}, "page"),
        ({"status": "pending"}, "status"),
        ({"api_key": "salah"}, "api_key"),
    ]:
        reply = await api.get("/requests.json", params)
        expected = 403 if "api_key" in params else 400
        assert reply.status == expected, (params, reply.text)
        [error] = reply.json()
        assert error["code"] == expected and words in error["description"], (params, error)

    # XML errors, and English for a client that asks for it.
    reply = await api.get("/requests.xml", page_size="5000")
    root = ElementTree.fromstring(reply.text)
    assert (reply.status, root.tag, root.findtext("error/code")) == (400, "errors", "400")
    english = await api.get("/requests.json", headers={"Accept-Language": "en"}, page_size="5000")
    assert english.json()[0]["description"].startswith("At most 1000 results")
    unknown = await api.get("/requests/BLW-2611-9999.json")
    assert (unknown.status, unknown.json()[0]["code"]) == (404, 404)

    # A revoked key is refused at once.
    await revoke_client(town.db, "dashboard", now=town.clock.now(), actor="test")
    reply = await api.post("/requests.json", form)
    assert reply.status == 403
    async with town.db.read() as session:
        assert (await session.execute(select(Complaint))).first() is None  # nothing filed
        actions = set((await session.execute(select(col(AuditEntry.action)))).scalars())
    assert {"open311.key_created", "open311.key_revoked"} <= actions


async def test_each_key_is_rate_limited(api: Api) -> None:  # noqa: F811
    api.town.settings.open311_requests_per_minute = 3
    busy, other = await api.key("busy"), await api.key("other")
    for _ in range(3):
        assert (await api.get("/requests.json", api_key=busy)).status == 200
    refused = await api.post(
        "/requests.json", {"api_key": busy, "service_code": "adminduk", "description": STORY}
    )
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    assert refused.json()[0]["code"] == 429
    # Another client's key is not held back by the busy one.
    await api.file(other)
    async with api.town.db.read() as session:
        assert len((await session.execute(select(Complaint))).all()) == 1


async def test_a_body_that_is_not_utf8_is_400(api: Api) -> None:  # noqa: F811
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            api.url + "/open311/v2/requests.json",
            data=b"api_key=x&description=\xff\xfe",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as response,
    ):
        assert response.status == 400
        [error] = await response.json()
    assert error["code"] == 400 and "body" in error["description"]


async def test_a_ticket_sent_but_not_linked_before_a_stop_is_linked_at_start(api: Api) -> None:  # noqa: F811
    """The outbox sent a queued ticket and the process stopped before linking it to its
    complaint: at the next start the sender links it and sends its location as a reply."""
    town = api.town
    desk = await install_desk(town)
    number = await api.file(await api.key("dashboard-medan"), lat="3.7781", long="98.6832")
    ticket, _ = await desk.wait_for(2)
    complaint = await _complaint(api, number)
    async with town.db.write() as session:  # as the stop left it: sent, not linked
        await session.execute(
            update(Complaint)
            .where(col(Complaint.id) == complaint.id)
            .values(desk_chat_id=None, ticket_message_id=None)
        )
        await session.execute(
            delete(ComplaintMessage).where(col(ComplaintMessage.complaint_id) == complaint.id)
        )
    await restart(town)
    [location] = await desk.wait_for(1)
    assert location.raw["reply_to_message"]["message_id"] == ticket.message_id
    complaint = await _complaint(api, number)
    assert (complaint.desk_chat_id, complaint.ticket_message_id) == (
        desk.chat_id,
        ticket.message_id,
    )
    # Linked once: another start sends nothing more.
    await restart(town)
    sender = town.scheduler.sender
    assert sender is not None
    await eventually(lambda: sender._recovered)
    await asyncio.sleep(0.2)
    assert len(desk.messages) == 4  # installed, ticket, location, location again
