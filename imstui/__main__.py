from imstui.cli import main

raise SystemExit(main())
