// The village list follows the township chosen: a village of another township is never offered (the server
// refuses it anyway, with VILLAGE_UNKNOWN). Pages work without this script; it only narrows the choice.
(function () {
  function follow(townshipSelect, villageSelect) {
    function apply() {
      var township = townshipSelect.value;
      Array.prototype.forEach.call(villageSelect.options, function (option) {
        var other = option.dataset.township && option.dataset.township !== township;
        option.hidden = other;
        option.disabled = other;
        if (other && option.selected) { villageSelect.value = ""; }
      });
    }
    townshipSelect.addEventListener("change", apply);
    apply();
  }
  document.querySelectorAll("select[data-villages]").forEach(function (townshipSelect) {
    var villageSelect = document.getElementById(townshipSelect.dataset.villages);
    if (villageSelect) { follow(townshipSelect, villageSelect); }
  });
})();
