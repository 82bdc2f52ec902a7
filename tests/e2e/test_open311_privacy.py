"""Nothing the Open311 API answers names anyone: named, anonymous and rahasia complaints,
filed in the chat and through the API, then every endpoint and filter read in both formats
and searched for the reporters' names, usernames, Telegram ids, phones and email. Rahasia
complaints are neither listed nor found by number; anonymous ones show no address and only a
rounded position."""

from __future__ import annotations

from sqlalchemy import select

from models.tables import Complaint
from tests.e2e.open311_api import STORY, Api, api  # noqa: F401 (fixture)
from tests.e2e.test_complaints import file_complaint

OTHER_STORY = "Sampah menumpuk di ujung gang dekat sekolah dasar, baunya sampai ke rumah warga."
SECRET_STORY = "Ada pungutan liar saat mengurus surat pindah di kantor, saya diminta bayar lebih."


async def _seed(server: Api) -> tuple[dict[str, str], list[str]]:
    """The complaints by privacy choice, and every string that would give a person away."""
    town = server.town
    siti = town.user(first_name="Siti", last_name="Aminah", username="siti_aminah")
    budi = town.user(first_name="Budiman", last_name="Lubis", username="budiman_l")
    rina = town.user(first_name="Rinawati", username="rinawati_k")
    numbers = {
        "named": await file_complaint(siti, share_contact=True, location=(3.7781, 98.6832)),
        "anonim": await file_complaint(
            budi, story=OTHER_STORY, privacy="Anonim", location=(3.781234, 98.683456)
        ),
        "rahasia": await file_complaint(rina, story=SECRET_STORY, privacy="Rahasia"),
    }
    key = await server.key("dashboard")
    person = {
        "first_name": "Jokowarso",
        "last_name": "Tambunan",
        "phone": "+62 811 6000 4321",
        "email": "jokowarso@example.org",
    }
    numbers["api_named"] = await server.file(key, address_string="Jl. Veteran No. 12", **person)
    numbers["api_anonim"] = await server.file(
        key,
        description=OTHER_STORY,
        address_string="Gang Mawar rumah ketiga",
        lat="3.7799999",
        long="98.6811111",
        **{"attribute[privacy]": "anonim"},
        **person,
    )
    numbers["api_rahasia"] = await server.file(
        key, description=SECRET_STORY, **{"attribute[privacy]": "rahasia"}, **person
    )
    secrets = [
        "Siti",
        "Aminah",
        "siti_aminah",
        "Budiman",
        "Lubis",
        "budiman_l",
        "Rinawati",
        "rinawati_k",
        "Jokowarso",
        "Tambunan",
        "jokowarso@example.org",
        "81234567890",  # the phone Siti shared in the chat
        "6000 4321",
        "60004321",
        "Pelapor",
        *(str(user.id) for user in (siti, budi, rina)),
        key,
    ]
    return numbers, secrets


async def test_nobody_is_named_and_rahasia_stays_secret(api: Api) -> None:  # noqa: F811
    numbers, secrets = await _seed(api)
    async with api.town.db.read() as session:
        stored = {
            c.tracking_number: c for c in (await session.execute(select(Complaint))).scalars()
        }
    # What the API keeps: no name or phone for an anonymous report (UU 27/2022).
    anonymous = stored[numbers["api_anonim"]]
    assert (anonymous.reporter_name, anonymous.contact_phone) == (None, None)
    assert stored[numbers["api_named"]].reporter_name == "Jokowarso Tambunan"

    bodies: list[str] = []
    lists: list[str] = []
    for fmt in ("json", "xml"):
        for path, params in [
            (f"/services.{fmt}", {}),
            (f"/services/adminduk.{fmt}", {}),
            (f"/requests.{fmt}", {}),
            (f"/requests.{fmt}", {"status": "open"}),
            (f"/requests.{fmt}", {"service_code": "adminduk"}),
            (f"/requests.{fmt}", {"service_request_id": ",".join(numbers.values())}),
            (f"/requests.{fmt}", {"start_date": "2026-11-01T00:00:00Z", "page_size": "1000"}),
        ]:
            reply = await api.get(path, params)
            assert reply.status == 200, reply.text
            bodies.append(reply.text)
            lists.append(reply.text)
        for name, number in numbers.items():
            reply = await api.get(f"/requests/{number}.{fmt}")
            assert reply.status == (404 if "rahasia" in name else 200), (name, reply.text)
            bodies.append(reply.text)

    for body in bodies:
        for secret in secrets:
            assert secret not in body, (secret, body[:300])
        assert "pungutan liar" not in body
    for body in lists:
        assert numbers["rahasia"] not in body and numbers["api_rahasia"] not in body

    listed = (await api.get("/requests.json")).json()
    shown = {row["service_request_id"]: row for row in listed}
    assert set(shown) == {numbers[k] for k in ("named", "anonim", "api_named", "api_anonim")}
    named, anonim = shown[numbers["named"]], shown[numbers["anonim"]]
    assert (named["lat"], named["long"]) == (3.7781, 98.6832)
    assert (anonim["lat"], anonim["long"], anonim["address"]) == (3.781, 98.683, None)
    api_anonim = shown[numbers["api_anonim"]]
    assert (api_anonim["lat"], api_anonim["long"], api_anonim["address"]) == (3.78, 98.681, None)
    assert shown[numbers["api_named"]]["address"] == "Jl. Veteran No. 12"
    assert set(named) == {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    }
    assert named["description"].startswith("Lampu jalan")
    assert shown[numbers["api_named"]]["description"] == STORY
