"""Indonesian reader comments written for these tests and bench/language_id.py, the way readers of
a Jakarta news site write under articles about the city: formal and casual registers, slang
(gak, udah, banget), links to sources, English loanwords. None is taken from a corpus.

CLEAN: ordinary comments a newsroom publishes, sharp criticism of officials included.
SHORT: too short to tell the language from ("Mantap!"); identification must not guess.
MIXED: Indonesian and English in one comment, as many Jakarta readers write.
"""

from __future__ import annotations

CLEAN = [
    "Banjir lagi di Kampung Melayu, padahal tahun lalu katanya normalisasi sungai sudah selesai.",
    "Terima kasih atas liputannya, akhirnya ada media yang membahas soal pompa air yang rusak.",
    "MRT fase dua kapan jadinya? Sudah tiga tahun proyeknya bikin macet di Thamrin.",
    "Harga beras di pasar dekat rumah saya sudah naik dua ribu per kilo sejak bulan lalu.",
    "Pemprov DKI harus transparan soal anggaran trotoar, jangan cuma dibongkar pasang terus.",
    "Saya setuju dengan kebijakan ganjil genap, tapi transportasi umumnya juga harus ditambah.",
    "Data lengkapnya bisa dibaca di https://data.jakarta.go.id kalau ada yang penasaran.",
    "Kenapa KPK diam saja soal kasus pengadaan lahan ini? Masyarakat menunggu kejelasan.",
    "Artikelnya bagus, tapi judulnya agak berlebihan dibanding isi beritanya.",
    "Tiap pagi saya naik KRL dari Bekasi, desak-desakan terus. Kapan ditambah gerbongnya?",
    "Pak gubernur janji mau audit proyek ini dua tahun lalu, sampai sekarang belum ada hasilnya.",
    "Sebagai warga Tanah Abang, saya bisa bilang pedagang kaki lima itu sudah ada sejak dulu.",
    "Polusi udara Jakarta memang parah banget akhir-akhir ini, anak saya batuk terus.",
    "Menurut laporan BPK tahun lalu ada temuan kerugian negara miliaran rupiah di dinas ini.",
    "Semoga korban kebakaran di Tambora segera mendapat bantuan yang layak dari pemerintah.",
    "Jalan di depan kantor kelurahan kami sudah rusak setahun, laporan ke aplikasi gak ditanggapi.",
    "Tolong wartawan cek lagi, di paragraf ketiga tertulis 2019 padahal peraturannya terbit 2021.",
    "Kalau tarif Transjakarta naik, pekerja bergaji UMR yang paling merasakan dampaknya.",
    "Gimana nasib warga yang digusur? Rusunnya jauh dari tempat kerja mereka.",
    "Sudah waktunya DPRD memanggil kepala dinas untuk menjelaskan pembengkakan biaya ini.",
    "Saya kerja di bidang IT, sistem e-budgeting itu sebenarnya bisa diaudit publik.",
    "Liputan seperti ini yang kita butuhkan, bukan sekadar berita viral dari media sosial.",
    "Banyak tetangga saya belum dapat bansos padahal datanya sudah diperbarui di kelurahan.",
    "Mohon dibuat tulisan lanjutan soal siapa yang mengawasi kontraktor proyek tanggul laut.",
    "Jujur saja, penjelasan juru bicara pemprov di konferensi pers itu tidak menjawab pertanyaan.",
    "Memalukan, butuh gugatan ke pengadilan dulu baru angka-angka dasar ini dibuka ke publik.",
    "Rapat warga soal ini hari Sabtu jam sembilan di balai RW, yang peduli silakan datang.",
    "Menurut saya revitalisasi Kota Tua cukup berhasil, walaupun parkirnya masih semrawut.",
    "Berita di Kompas minggu lalu menyebut angka yang berbeda: https://www.kompas.com/",
    "Sekolah negeri di kecamatan kami kekurangan guru, tapi anggaran seremoni tetap jalan.",
    "Pengalaman saya mengurus KTP elektronik sekarang jauh lebih cepat, patut diapresiasi.",
    "Jakarta butuh lebih banyak ruang terbuka hijau, bukan mal baru di setiap sudut kota.",
    "Bapak ibu, jangan lupa cek nama di DPT sebelum hari pencoblosan ya.",
    "Kebijakan ini bagus di atas kertas, pelaksanaannya di lapangan yang selalu jadi masalah.",
    "Sungai Ciliwung tiap musim hujan meluap, solusinya dari dulu cuma wacana.",
    "Apakah ada data berapa persen pelanggaran yang terekam kamera ETLE benar-benar ditindak?",
    "Harusnya pemerintah pusat dan daerah duduk bersama, jangan saling lempar tanggung jawab.",
    "Saya pedagang di Pasar Senen, sepi pembeli sejak renovasi gedungnya tidak selesai-selesai.",
    "Ini bukan soal partai, ini soal uang rakyat yang dipakai tanpa pertanggungjawaban jelas.",
    "Bagus sekali ada peta interaktifnya, jadi tahu wilayah mana saja yang rawan genangan.",
]

SHORT = ["Mantap!", "Setuju", "wkwkwk", "Hadir", "Mantul gan", "Nah kan", "Ok", "Sip"]

MIXED = [
    "Honestly ini policy yang bagus, tapi implementation-nya gimana?",
    "Totally agree, pemprov harus transparan. Good journalism!",
    "This is exactly what I said, Jakarta butuh transportasi umum yang lebih baik.",
    "Great article, tapi datanya kurang update sih.",
]
