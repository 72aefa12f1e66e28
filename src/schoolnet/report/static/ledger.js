// The tablet ledger's filters: narrow the table by district, school, status and serial, in the page,
// with no server.  Rows carry their values as data attributes; nothing is fetched.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const rows = Array.from(document.querySelectorAll("#ledger tbody tr"));
  const district = document.getElementById("f-district");
  const school = document.getElementById("f-school");
  const status = document.getElementById("f-status");
  const serial = document.getElementById("f-serial");
  const shown = document.getElementById("shown");
  const apply = () => {
    const want = {
      district: district.value, school: school.value, status: status.value,
      serial: serial.value.trim().toLowerCase(),
    };
    for (const option of school.options) {
      option.hidden = Boolean(option.value && want.district && option.dataset.district !== want.district);
    }
    let count = 0;
    for (const row of rows) {
      const d = row.dataset;
      const match = (!want.district || d.district === want.district) && (!want.school || d.school === want.school)
        && (!want.status || d.status === want.status) && (!want.serial || d.serial.includes(want.serial));
      row.hidden = !match;
      if (match) count += 1;
    }
    shown.textContent = `${count} of ${rows.length} tablets`;
  };
  for (const control of [district, school, status]) control.addEventListener("change", apply);
  serial.addEventListener("input", apply);
  apply();
});
