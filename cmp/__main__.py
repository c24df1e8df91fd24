from cmp.main import main

raise SystemExit(main())
