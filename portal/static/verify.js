// Gongshi verify page: hash the chosen file in the browser (nothing uploaded).
