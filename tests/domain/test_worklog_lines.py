"""Single lines as kelurahan and kecamatan staff type them, each with the exact reading.

Typos, abbreviations (jm, mnt, dgn, utk, sdh, krn, kepling...) and office vocabulary (SIAK,
KTP-el, KK, DTKS, PBB, bansos, musrenbang, posyandu) are kept as people write them.  Each row is
either the reading (description, quantity, unit, minutes and, for clock ranges, the range) or
the problem code the person is asked about.
"""

from __future__ import annotations

import pytest

from domain.worklog import ParseProblem, QuickLog, TimeRange, parse_quick_log


def r(
    description: str,
    quantity: int | None = None,
    unit: str | None = None,
    minutes: int | None = None,
    span: tuple[str, str] | None = None,
) -> QuickLog:
    """A reading; ``span`` is the clock range as ("08.00", "10.30")."""

    def minute_of_day(clock: str) -> int:
        hours, minutes = clock.split(".")
        return int(hours) * 60 + int(minutes)

    time_range = None if span is None else TimeRange(*(minute_of_day(t) for t in span))
    return QuickLog(description, quantity, unit, minutes, time_range)


LINES: list[tuple[str, QuickLog | str]] = [
    # --- durations as typed, description and count ------------------------------------------
    ("Apel pagi 30 mnt", r("Apel pagi", minutes=30)),
    ("apel pagi di kantor camat 30 menit", r("apel pagi di kantor camat", minutes=30)),
    ("Apel sore 15 mnit", r("Apel sore", minutes=15)),
    ("Apel pagi stgh jam", r("Apel pagi", minutes=30)),
    ("Rapat koordinasi dgn lurah 2 jm", r("Rapat koordinasi dgn lurah", minutes=120)),
    (
        "rapat kordinasi dng lurah n kepling 2jm",
        r("rapat kordinasi dng lurah n kepling", minutes=120),
    ),
    (
        "Koordinasi dgn kepling utk pendataan warga miskin 2 jm",
        r("Koordinasi dgn kepling utk pendataan warga miskin", minutes=120),
    ),
    ("Menyusun notulen rapat minggon 1 jam", r("Menyusun notulen rapat minggon", minutes=60)),
    ("Senam pagi bersama 1 jam", r("Senam pagi bersama", minutes=60)),
    ("Wirid/pengajian rutin pegawai 1 jm", r("Wirid/pengajian rutin pegawai", minutes=60)),
    ("Mengikuti upacara hari pahlawan 1 jam", r("Mengikuti upacara hari pahlawan", minutes=60)),
    ("Bimtek aplikasi SRIKANDI 8 jam", r("Bimtek aplikasi SRIKANDI", minutes=480)),
    (
        "Menyusun laporan bulanan kelurahan 3 jam",
        r("Menyusun laporan bulanan kelurahan", minutes=180),
    ),
    ("Kirim laporan ke kecamatan 15 menit", r("Kirim laporan ke kecamatan", minutes=15)),
    (
        "Cek email dinas & disposisi surat 20 mnt",
        r("Cek email dinas & disposisi surat", minutes=20),
    ),
    ("Upload bukti dukung e-kinerja 30 menit", r("Upload bukti dukung e-kinerja", minutes=30)),
    ("Input data 30 menit2", r("Input data", minutes=30)),
    ("pelayanan 2j", r("pelayanan", minutes=120)),
    ("pelayanan 45m", r("pelayanan", minutes=45)),
    ("Rapat 1.5 jam", r("Rapat", minutes=90)),
    ("Rapat 1,5jam", r("Rapat", minutes=90)),
    ("Rapat koordinasi 2 jam 30 menit", r("Rapat koordinasi", minutes=150)),
    ("Menerima tamu dinas 3 org 1jam30mnt", r("Menerima tamu dinas 3 org", 3, "orang", 90)),
    ("Rapat staf 1/2 jam", r("Rapat staf", minutes=30)),
    ("Input data 3/4 jam", r("Input data", minutes=45)),
    ("Input data 1½ jam", r("Input data", minutes=90)),
    ("Buat 3 notulen 1 1/2 jam", r("Buat 3 notulen", 3, "notulen", 90)),
    ("Rapat staf sejam", r("Rapat staf", minutes=60)),
    ("Rapat staf sejam setengah", r("Rapat staf", minutes=90)),
    ("Input data 1 jam setengah", r("Input data", minutes=90)),
    ("Pendataan UMKM 1 setengah jam", r("Pendataan UMKM", minutes=90)),
    ("Rapat evaluasi kinerja ± 2 jam", r("Rapat evaluasi kinerja", minutes=120)),
    (
        "Koordinasi dgn Babinsa & Bhabinkamtibmas kurang lebih 1 jam",
        r("Koordinasi dgn Babinsa & Bhabinkamtibmas", minutes=60),
    ),
    # "sekitar" here is "nearby", so it stays in the description.
    ("Sosialisasi PBB ke warga sekitar 2 jam", r("Sosialisasi PBB ke warga sekitar", minutes=120)),
    ("Cek lokasi 2 titik selama 2 jam", r("Cek lokasi 2 titik", 2, "titik", 120)),
    ("Ikut rapat di kecamatan (2 jam)", r("Ikut rapat di kecamatan", minutes=120)),
    ("Antar berkas ke Disdukcapil, 2 jam", r("Antar berkas ke Disdukcapil", minutes=120)),
    (
        "Antar 15 berkas ke Disdukcapil - 2 jam",
        r("Antar 15 berkas ke Disdukcapil", 15, "berkas", 120),
    ),
    ("Input 40 berkas SIAK 3 jam.", r("Input 40 berkas SIAK.", 40, "berkas", 180)),
    (
        "Rekon data kependudukan dgn capil 2 jam 👍",
        r("Rekon data kependudukan dgn capil 👍", minutes=120),
    ),
    ("Sdh input 45 data vaksin 2 jam", r("Sdh input 45 data vaksin", 45, "data", 120)),
    (
        "Belum selesai input data krn jaringan putus 1 jam",
        r("Belum selesai input data krn jaringan putus", minutes=60),
    ),
    (
        "Gotong royong bersih parit di lingkungan 3, 2 jam",
        r("Gotong royong bersih parit di lingkungan 3", minutes=120),
    ),
    (
        "Persiapan HUT RI ke-81 rapat panitia 2 jam",
        r("Persiapan HUT RI ke-81 rapat panitia", minutes=120),
    ),
    ("Buat LPJ kegiatan 17an 2 jam", r("Buat LPJ kegiatan 17an", minutes=120)),
    ("Rapat 23-11-2026 2 jam", r("Rapat 23-11-2026", minutes=120)),
    ("Rapat 2x 1 jam", r("Rapat 2x", minutes=60)),
    # --- English ------------------------------------------------------------------------------
    ("Diklat online 1.5 h", r("Diklat online", minutes=90)),
    ("Meeting with camat 1,5 hrs", r("Meeting with camat", minutes=90)),
    ("Data entry 90 mins", r("Data entry", minutes=90)),
    ("Prepared 3 reports 2 hours", r("Prepared 3 reports", 3, "laporan", 120)),
    ("Checked 40 files 45 minutes", r("Checked 40 files", 40, "berkas", 45)),
    ("meeting 1h", r("meeting", minutes=60)),
    ("Rapat 2 hrs", r("Rapat", minutes=120)),
    # --- counts: the nouns offices use, abbreviations, thousands ------------------------------
    ("Input data SIAK 40 berkas 3 jam", r("Input data SIAK 40 berkas", 40, "berkas", 180)),
    ("Entri 25 KK baru ke SIAK 1,5 jam", r("Entri 25 KK baru ke SIAK", 25, "KK", 90)),
    (
        "Verifikasi berkas KTP-el 15 org 1 jam",
        r("Verifikasi berkas KTP-el 15 org", 15, "orang", 60),
    ),
    ("Cetak 30 KTP-el 2 jam", r("Cetak 30 KTP-el", 30, "KTP", 120)),
    ("Rekam 12 e-KTP 1 jam", r("Rekam 12 e-KTP", 12, "KTP", 60)),
    (
        "Cetak 1.250 lembar undangan musrenbang 2 jam",
        r("Cetak 1.250 lembar undangan musrenbang", 1250, "lembar", 120),
    ),
    ("Rekap data DTKS 1.000 data 3 jam", r("Rekap data DTKS 1.000 data", 1000, "data", 180)),
    ("Pengarsipan 1.500 berkas 6 jam", r("Pengarsipan 1.500 berkas", 1500, "berkas", 360)),
    (
        "Membuat surat pengantar SKCK utk 5 warga 45 menit",
        r("Membuat surat pengantar SKCK utk 5 warga", 5, "warga", 45),
    ),
    (
        "Penyaluran bansos BPNT ke 120 KPM 4 jam",
        r("Penyaluran bansos BPNT ke 120 KPM", 120, "KPM", 240),
    ),
    ("Validasi data DTKS 50 KK stgh jam", r("Validasi data DTKS 50 KK", 50, "KK", 30)),
    # "RT" is a neighbourhood, not a unit of work.
    (
        "Mengantar undangan rapat ke 12 RT 2 jam",
        r("Mengantar undangan rapat ke 12 RT", minutes=120),
    ),
    (
        "Distribusi SPPT PBB 150 lembar 3 jam",
        r("Distribusi SPPT PBB 150 lembar", 150, "lembar", 180),
    ),
    (
        "Membagikan 150 SPPT PBB ke warga 3 jam",
        r("Membagikan 150 SPPT PBB ke warga", 150, "SPPT", 180),
    ),
    (
        "Penagihan PBB door to door 20 rumah 2 jam",
        r("Penagihan PBB door to door 20 rumah", 20, "rumah", 120),
    ),
    (
        "Kunjungan rumah ibu hamil 4 rmh 2 jam",
        r("Kunjungan rumah ibu hamil 4 rmh", 4, "rumah", 120),
    ),
    (
        "Pendataan penduduk pindah datang 8 org 1 jam",
        r("Pendataan penduduk pindah datang 8 org", 8, "orang", 60),
    ),
    ("Pendataan 40 pddk pendatang 2 jam", r("Pendataan 40 pddk pendatang", 40, "penduduk", 120)),
    (
        "Pelayanan surat keterangan domisili 6 surat 1 jam",
        r("Pelayanan surat keterangan domisili 6 surat", 6, "surat", 60),
    ),
    ("Mengetik surat keluar 10 srt 1jam", r("Mengetik surat keluar 10 srt", 10, "surat", 60)),
    ("Arsip surat masuk 30 berkas 45mnt", r("Arsip surat masuk 30 berkas", 30, "berkas", 45)),
    ("Input 15 berkas2 KK 1 jam", r("Input 15 berkas2 KK", 15, "berkas", 60)),
    ("Scan 20 bks permohonan 1 jam", r("Scan 20 bks permohonan", 20, "berkas", 60)),
    ("Monitoring kebersihan 5 titik 2 jam", r("Monitoring kebersihan 5 titik", 5, "titik", 120)),
    ("Input data stunting 30 balita 2 jam", r("Input data stunting 30 balita", 30, "balita", 120)),
    ("Posyandu lansia 25 lansia 3 jam", r("Posyandu lansia 25 lansia", 25, "lansia", 180)),
    ("Input KIA 12 anak 1 jam", r("Input KIA 12 anak", 12, "anak", 60)),
    ("Cetak KIA 12 lembar 1 jam", r("Cetak KIA 12 lembar", 12, "lembar", 60)),
    ("Membuat akta kematian 2 berkas 1 jam", r("Membuat akta kematian 2 berkas", 2, "berkas", 60)),
    ("Legalisir fotokopi KK 20 lbr 30 mnt", r("Legalisir fotokopi KK 20 lbr", 20, "lembar", 30)),
    (
        "Scan dokumen kependudukan 200 lembar 2,5 jam",
        r("Scan dokumen kependudukan 200 lembar", 200, "lembar", 150),
    ),
    ("Pembagian masker 500 buah 2 jam", r("Pembagian masker 500 buah", 500, "buah", 120)),
    ("Distribusi 100 paket sembako 3 jam", r("Distribusi 100 paket sembako", 100, "paket", 180)),
    ("Fogging DBD 3 lingkungan 4 jam", r("Fogging DBD 3 lingkungan", minutes=240)),
    (
        "Sosialisasi 3 kali di 3 lingkungan 2 jam",
        r("Sosialisasi 3 kali di 3 lingkungan", 3, "kali", 120),
    ),
    ("Apel 1 kali 30 menit", r("Apel 1 kali", 1, "kali", 30)),
    ("Cetak 2 set dokumen lelang 1 jam", r("Cetak 2 set dokumen lelang", 2, "set", 60)),
    (
        "Menerima 4 proposal bantuan masjid 1 jam",
        r("Menerima 4 proposal bantuan masjid", 4, "proposal", 60),
    ),
    ("Fotokopi 100 eks perda 30 menit", r("Fotokopi 100 eks perda", 100, "eksemplar", 30)),
    ("Mengisi survei SKM 10 form 1 jam", r("Mengisi survei SKM 10 form", 10, "formulir", 60)),
    ("Verval 30 NIK ganda 2 jam", r("Verval 30 NIK ganda", 30, "NIK", 120)),
    ("Membuat 8 SKTM 1 jam", r("Membuat 8 SKTM", 8, "SKTM", 60)),
    ("Membuat 3 SKU utk pelaku UMKM 1 jam", r("Membuat 3 SKU utk pelaku UMKM", 3, "SKU", 60)),
    (
        "Upload 10 foto kegiatan ke grup 10 mnt",
        r("Upload 10 foto kegiatan ke grup", 10, "foto", 10),
    ),
    (
        "Melayani pengaduan warga ttg lampu jalan 3 org 1 jam",
        r("Melayani pengaduan warga ttg lampu jalan 3 org", 3, "orang", 60),
    ),
    ("Rekap 35 usulan musrenbang 2 jam", r("Rekap 35 usulan musrenbang", 35, "usulan", 120)),
    # Two counted things: which one measures the work is the person's call.
    ("Verifikasi 15 berkas dan 3 surat 1 jam", r("Verifikasi 15 berkas dan 3 surat", minutes=60)),
    # --- clock ranges -------------------------------------------------------------------------
    ("Pelayanan KTP el 08.00-12.00", r("Pelayanan KTP el", minutes=240, span=("08.00", "12.00"))),
    (
        "Musrenbang kelurahan dari pukul 09.00 s.d. 12.00",
        r("Musrenbang kelurahan", minutes=180, span=("09.00", "12.00")),
    ),
    (
        "rapat persiapan musrenbang jam 9 sampai jam 11",
        r("rapat persiapan musrenbang", minutes=120, span=("09.00", "11.00")),
    ),
    (
        "Posyandu balita di RW 05, 35 balita ditimbang, jam 8-11",
        r("Posyandu balita di RW 05, 35 balita ditimbang", 35, "balita", 180, ("08.00", "11.00")),
    ),
    (
        "Piket pelayanan kantor lurah 7.30-12.00",
        r("Piket pelayanan kantor lurah", minutes=270, span=("07.30", "12.00")),
    ),
    (
        "Rapat minggon di kantor walikota 09.00-12.00 WIB",
        r("Rapat minggon di kantor walikota", minutes=180, span=("09.00", "12.00")),
    ),
    ("rapat pkl 14.00 sd 15.30", r("rapat", minutes=90, span=("14.00", "15.30"))),
    (
        "Zoom meeting dgn Dukcapil 13.00 - 14.30 wib",
        r("Zoom meeting dgn Dukcapil", minutes=90, span=("13.00", "14.30")),
    ),
    (
        "Pelayanan loket 20 pemohon 08.00 s/d 12.00",
        r("Pelayanan loket 20 pemohon", 20, "pemohon", 240, ("08.00", "12.00")),
    ),
    (
        "Melayani 12 pemohon KTP-el dari jam 8 sampai jam 12",
        r("Melayani 12 pemohon KTP-el", 12, "pemohon", 240, ("08.00", "12.00")),
    ),
    ("Rapat pleno PPK 13.00-16.00", r("Rapat pleno PPK", minutes=180, span=("13.00", "16.00"))),
    (
        "Penyaluran BLT DD 60 KPM jam 9-12",
        r("Penyaluran BLT DD 60 KPM", 60, "KPM", 180, ("09.00", "12.00")),
    ),
    (
        "Rapat (09.00-11.00) di aula kecamatan",
        r("Rapat di aula kecamatan", minutes=120, span=("09.00", "11.00")),
    ),
    (
        "Dinas luar ke kantor walikota 08.00 - 16.00",
        r("Dinas luar ke kantor walikota", minutes=480, span=("08.00", "16.00")),
    ),
    ("Rapat jam 1-3 siang", r("Rapat", minutes=120, span=("13.00", "15.00"))),
    ("Rapat jam 11 - 1 siang", r("Rapat", minutes=120, span=("11.00", "13.00"))),
    ("Posyandu jam 8 pagi - 12 siang", r("Posyandu", minutes=240, span=("08.00", "12.00"))),
    ("Pengajian jam 7 - 9 malam", r("Pengajian", minutes=120, span=("19.00", "21.00"))),
    ("Ronda jam 10-12 malam", r("Ronda", minutes=120, span=("22.00", "24.00"))),
    ("Rapat mulai jam 9 hingga jam 12", r("Rapat", minutes=180, span=("09.00", "12.00"))),
    ("Pelatihan 13.00 WIB - 16.00 WIB", r("Pelatihan", minutes=180, span=("13.00", "16.00"))),
    ("Rapat 14.00 sampai dengan 16.00", r("Rapat", minutes=120, span=("14.00", "16.00"))),
    (
        "Pelayanan KK 10 KK jam 8.00-10.00",
        r("Pelayanan KK 10 KK", 10, "KK", 120, ("08.00", "10.00")),
    ),
    # --- no duration that can be taken: the bot asks how long --------------------------------
    ("rapat", r("rapat")),
    ("Rapat RT 2 jam dgn camat", r("Rapat RT 2 jam dgn camat")),
    ("Rapat 45 mnit dgn sekcam", r("Rapat 45 mnit dgn sekcam")),
    ("Input data 2 jam lalu rapat 1 jam", r("Input data 2 jam lalu rapat 1 jam")),
    ("Rapat 2 jam dan 30 menit", r("Rapat 2 jam dan 30 menit")),
    ("Rapat koordinasi 2 jam 30", r("Rapat koordinasi 2 jam 30")),
    ("Rapat 90", r("Rapat 90")),
    ("Rapat 3 jam utk persiapan 17 Agustus", r("Rapat 3 jam utk persiapan 17 Agustus")),
    (
        "Survey lokasi banjir 3 lokasi stgh hari",
        r("Survey lokasi banjir 3 lokasi stgh hari", 3, "lokasi"),
    ),
    ("Sosialisasi 1 hari penuh", r("Sosialisasi 1 hari penuh")),
    ("Pengukuran saluran drainase 50 m", r("Pengukuran saluran drainase 50 m")),
    ("Rapat jam 10", r("Rapat jam 10")),
    ("Rapat jam 10:00 di aula", r("Rapat jam 10:00 di aula")),
    ("Input data 8-10", r("Input data 8-10")),
    ("Rapat dua jam", r("Rapat dua jam")),
    ("Rapat pkl 09.00 s.d selesai", r("Rapat pkl 09.00 s.d selesai")),
    # --- problems the person is asked about ---------------------------------------------------
    ("Rapat 1.30 jam", "duration_ambiguous"),
    ("Lembur input data 25 jam", "duration_too_long"),
    ("Rapat 0 jam", "duration_zero"),
    ("Rapat 08.00-07.00", "duration_zero"),
    ("Jaga malam 22.00-02.00", "duration_zero"),  # across midnight: not read
    ("Input data 1,5 menit", "duration_unreadable"),
    ("Rapat dinas 1.000 jam", "duration_unreadable"),
    ("Input 20.000 data 3 jam", "quantity_too_large"),
    ("Input data 0 berkas 1 jam", "quantity_zero"),
    ("🙏🙏", "description_empty"),
    ("2 jam", "description_empty"),
]


def test_there_are_at_least_a_hundred_lines() -> None:
    assert len(LINES) >= 100
    assert len({text for text, _ in LINES}) == len(LINES), "a line is listed twice"


@pytest.mark.parametrize(("text", "expected"), LINES, ids=[text for text, _ in LINES])
def test_realistic_line(text: str, expected: QuickLog | str) -> None:
    result = parse_quick_log(text)
    if isinstance(expected, str):
        assert isinstance(result, ParseProblem), result
        assert result.code == expected
    else:
        assert result == expected
